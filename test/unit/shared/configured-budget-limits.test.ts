import { BUDGETS, DEFAULT_GROUPS_CREATED_PER_HOUR, budgetLimits, purseOf, type BudgetStore } from '../../../lambdas/domain/budget';

/** lambdas/shared/action-budget.ts as a function loads it with `GROUPS_CREATED_PER_HOUR` set so, or unset. */
function configuredWith(groupsCreatedPerHour: string | undefined): typeof import('../../../lambdas/shared/action-budget') {
  const before = process.env.GROUPS_CREATED_PER_HOUR;
  if (groupsCreatedPerHour === undefined) delete process.env.GROUPS_CREATED_PER_HOUR;
  else process.env.GROUPS_CREATED_PER_HOUR = groupsCreatedPerHour;
  try {
    let loaded: typeof import('../../../lambdas/shared/action-budget') | undefined;
    jest.isolateModules(() => {
      loaded = jest.requireActual<typeof import('../../../lambdas/shared/action-budget')>('../../../lambdas/shared/action-budget');
    });
    return loaded!;
  } finally {
    if (before === undefined) delete process.env.GROUPS_CREATED_PER_HOUR;
    else process.env.GROUPS_CREATED_PER_HOUR = before;
  }
}

describe('the groups a user may create an hour', () => {
  it('are 20, all at once if need be, unless the stack says otherwise', () => {
    expect(DEFAULT_GROUPS_CREATED_PER_HOUR).toBe(20);
    expect(BUDGETS.groupsCreated).toEqual({ perSecond: 20 / 3600, burst: 20 });
    expect(configuredWith(undefined).configuredBudgetLimits.groupsCreated).toEqual({ perSecond: 20 / 3600, burst: 20 });
  });

  it('follow GROUPS_CREATED_PER_HOUR, which the stack sets from -c messenger:groupsCreatedPerHour', () => {
    expect(configuredWith('1000').configuredBudgetLimits.groupsCreated).toEqual({ perSecond: 1000 / 3600, burst: 1000 });
  });

  it('fail the cold start, naming the variable, when GROUPS_CREATED_PER_HOUR is not a positive whole number', () => {
    for (const value of ['0', '2.5', 'lots']) {
      // An isolated module registry has its own ConfigurationError class: compare by name.
      expect(() => configuredWith(value)).toThrow(expect.objectContaining({ name: 'ConfigurationError', message: expect.stringMatching(/GROUPS_CREATED_PER_HOUR/) }));
    }
  });

  it("are what a purse refuses by, and names, from its store's limits", async () => {
    const store: BudgetStore = {
      limits: budgetLimits({ groupsCreatedPerHour: 3 }),
      charge: async () => ({ admitted: false, retryAfterMs: 1000, exceeded: 'units' }),
      refund: async () => undefined,
    };
    const purse = purseOf({ userId: 'alice', store, clock: () => 0 });
    await expect(purse.spend(4, 'groupsCreated')).rejects.toMatchObject({ code: 'bad_request', message: expect.stringContaining('groupsCreated: 4 of 3') });
    await expect(purse.spend(1, 'groupsCreated')).rejects.toMatchObject({ code: 'rate_limited', message: expect.stringContaining('you may create 3 groups an hour') });
  });
});
