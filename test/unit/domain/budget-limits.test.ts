/** lambdas/domain/budget.ts as a function loads it with `GROUPS_CREATED_PER_HOUR` set so, or unset. */
function budgetModuleWith(groupsCreatedPerHour: string | undefined): typeof import('../../../lambdas/domain/budget') {
  const before = process.env.GROUPS_CREATED_PER_HOUR;
  if (groupsCreatedPerHour === undefined) delete process.env.GROUPS_CREATED_PER_HOUR;
  else process.env.GROUPS_CREATED_PER_HOUR = groupsCreatedPerHour;
  try {
    let loaded: typeof import('../../../lambdas/domain/budget') | undefined;
    jest.isolateModules(() => {
      loaded = jest.requireActual<typeof import('../../../lambdas/domain/budget')>('../../../lambdas/domain/budget');
    });
    return loaded!;
  } finally {
    if (before === undefined) delete process.env.GROUPS_CREATED_PER_HOUR;
    else process.env.GROUPS_CREATED_PER_HOUR = before;
  }
}

describe('the groups a user may create an hour', () => {
  it('are 20, all at once if need be, unless the stack says otherwise', () => {
    const { BUDGETS, DEFAULT_GROUPS_CREATED_PER_HOUR } = budgetModuleWith(undefined);
    expect(DEFAULT_GROUPS_CREATED_PER_HOUR).toBe(20);
    expect(BUDGETS.groupsCreated).toEqual({ perSecond: 20 / 3600, burst: 20 });
  });

  it('follow GROUPS_CREATED_PER_HOUR, which the stack sets from -c messenger:groupsCreatedPerHour', () => {
    expect(budgetModuleWith('1000').BUDGETS.groupsCreated).toEqual({ perSecond: 1000 / 3600, burst: 1000 });
  });

  it('fail the cold start, naming the variable, when GROUPS_CREATED_PER_HOUR is not a positive whole number', () => {
    for (const value of ['0', '2.5', 'lots']) {
      // An isolated module registry has its own ConfigurationError class: compare by name.
      expect(() => budgetModuleWith(value)).toThrow(expect.objectContaining({ name: 'ConfigurationError', message: expect.stringMatching(/GROUPS_CREATED_PER_HOUR/) }));
    }
  });
});
