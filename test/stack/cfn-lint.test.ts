import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { MessengerStack } from '../../lib/messenger-stack';
import { testApp } from './template';

/** Where `.ci/run` installs cfn-lint (PyPI), in a venv of its own. */
const CFN_LINT = path.join(__dirname, '..', '..', '.venv-tools', 'bin', 'cfn-lint');
const INSTALL = 'python3 -m venv .venv-tools && .venv-tools/bin/pip install cfn-lint';

interface LintMatch {
  Rule: { Id: string };
  Message: string;
  Location: { Path: Array<string | number> };
}

/**
 * Warnings that are explained rather than fixed. W3005: CDK makes every function depend on its role
 * and the role's policy, so that it is never created before it may act; the role half is already
 * implied by the function's `Role` GetAtt. Only that half is accepted, nothing else.
 */
function isExplained(match: LintMatch, template: Record<string, { Type: string }>): boolean {
  if (match.Rule.Id !== 'W3005') return false;
  const [, resourceId] = match.Location.Path;
  const dependency = /^'(\w+)' dependency already enforced by a 'GetAtt' at 'Resources\/\w+\/Properties\/Role'$/.exec(match.Message)?.[1];
  return template[String(resourceId)]?.Type === 'AWS::Lambda::Function' && dependency !== undefined && template[dependency]?.Type === 'AWS::IAM::Role';
}

function lint(templateJson: object): LintMatch[] {
  if (!fs.existsSync(CFN_LINT)) throw new Error(`cfn-lint is not installed at ${CFN_LINT}; install it with: ${INSTALL}`);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-lint-')), 'Messenger.template.json');
  fs.writeFileSync(file, JSON.stringify(templateJson));
  const run = spawnSync(CFN_LINT, ['--format', 'json', file], { encoding: 'utf8' });
  if (run.error || run.stdout.trim() === '') throw new Error(`cfn-lint did not run: ${run.error?.message ?? run.stderr}`);
  return JSON.parse(run.stdout) as LintMatch[];
}

describe('cfn-lint', () => {
  it('finds no error and no warning that is not explained in the synthesized template', () => {
    const template = Template.fromStack(new MessengerStack(testApp(), 'Messenger')).toJSON();
    const matches = lint(template);
    expect(matches.filter((match) => !isExplained(match, template.Resources)).map((match) => `${match.Rule.Id} ${match.Message}`)).toEqual([]);
  });

  it('reports what it finds, errors included', () => {
    const template = Template.fromStack(new MessengerStack(testApp(), 'Messenger')).toJSON();
    const [functionId] = Object.keys(template.Resources).filter((id) => template.Resources[id].Type === 'AWS::Lambda::Function');
    template.Resources[functionId].Properties.Runtime = 'nodejs1.x';
    expect(lint(template).map((match) => match.Rule.Id)).toContain('E3030');
  });
});
