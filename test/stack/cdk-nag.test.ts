import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MessengerStack, type MessengerStackProps } from '../../lib/messenger-stack';
import { testApp } from './template';

const pushPlatformApplications = {
  apns: 'arn:aws:sns:us-east-1:123456789012:app/APNS/messenger',
  fcm: 'arn:aws:sns:us-east-1:123456789012:app/GCM/messenger',
};

/** The findings cdk-nag's AwsSolutions pack reports on the app, acknowledged ones left out: one line per finding and resource. */
function unacknowledgedFindings(props: MessengerStackProps): string[] {
  const app = testApp();
  new MessengerStack(app, 'Messenger', props);
  const report = new AwsSolutionsChecks(app, { verbose: true }).validateScope(app);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.locations.join(', ')}: ${violation.description}`),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['as deployed by default', {}],
    ['with push platform applications and no account log role', { pushPlatformApplications, setApiGatewayAccountLogRole: false }],
  ])('finds nothing that is neither fixed nor acknowledged with a reason, %s', (_, props) => {
    expect(unacknowledgedFindings(props)).toEqual([]);
  });

  it('fails synthesis of the app, as registered in cdk-nag 3, on a finding', () => {
    const app = testApp();
    const stack = new MessengerStack(app, 'Messenger');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();

    // The same app with one finding more: a dead-letter queue's acknowledgement does not cover a plain queue.
    const broken = testApp();
    const brokenStack = new MessengerStack(broken, 'Messenger');
    new (require('aws-cdk-lib/aws-sqs').Queue)(brokenStack, 'Unwatched', { enforceSSL: true });
    Validations.of(broken).addPlugins(new AwsSolutionsChecks(broken));
    expect(() => broken.synth()).toThrow();
    expect(stack).not.toBe(brokenStack);
  });
});
