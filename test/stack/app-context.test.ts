import { App } from 'aws-cdk-lib';
import { alarmEmailFromContext, groupsCreatedPerHourFromContext, historyLagAlarmFromContext, idleTimeoutFromContext, pushApplicationsFromContext, TOKEN_ISSUER_CONTEXT, tokenIssuerFromContext } from '../../lib/app-context';

function contextNode(context: Record<string, unknown>) {
  return new App({ context }).node;
}

describe('app context', () => {
  it('reads an external token issuer only when all three keys are given', () => {
    expect(tokenIssuerFromContext(contextNode({}))).toBeUndefined();
    expect(() => tokenIssuerFromContext(contextNode({ [TOKEN_ISSUER_CONTEXT.issuerUrl]: 'http://x' }))).toThrow(/all of/);
    expect(
      tokenIssuerFromContext(
        contextNode({
          [TOKEN_ISSUER_CONTEXT.issuerUrl]: 'http://127.0.0.1/dev',
          [TOKEN_ISSUER_CONTEXT.jwksUri]: 'http://127.0.0.1/dev/jwks.json',
          [TOKEN_ISSUER_CONTEXT.audience]: 'local',
        }),
      ),
    ).toEqual({ issuerUrl: 'http://127.0.0.1/dev', jwksUri: 'http://127.0.0.1/dev/jwks.json', audience: 'local' });
  });

  it('rejects an issuer that is not a URL', () => {
    expect(() =>
      tokenIssuerFromContext(
        contextNode({
          [TOKEN_ISSUER_CONTEXT.issuerUrl]: 'issuer',
          [TOKEN_ISSUER_CONTEXT.jwksUri]: 'http://127.0.0.1/dev/jwks.json',
          [TOKEN_ISSUER_CONTEXT.audience]: 'local',
        }),
      ),
    ).toThrow(/http\(s\) URL/);
  });

  it('validates the idle timeout', () => {
    expect(idleTimeoutFromContext(contextNode({}))).toBeUndefined();
    expect(idleTimeoutFromContext(contextNode({ 'messenger:idleTimeoutSeconds': '45' }))).toBe(45);
    expect(() => idleTimeoutFromContext(contextNode({ 'messenger:idleTimeoutSeconds': '0' }))).toThrow(/1 to 600/);
    expect(() => idleTimeoutFromContext(contextNode({ 'messenger:idleTimeoutSeconds': 'soon' }))).toThrow(/1 to 600/);
  });

  it('validates the history-lag alarm threshold', () => {
    expect(historyLagAlarmFromContext(contextNode({}))).toBeUndefined();
    expect(historyLagAlarmFromContext(contextNode({ 'messenger:historyLagAlarmSeconds': '20' }))).toBe(20);
    expect(() => historyLagAlarmFromContext(contextNode({ 'messenger:historyLagAlarmSeconds': '0' }))).toThrow(/1 to 86400/);
    expect(() => historyLagAlarmFromContext(contextNode({ 'messenger:historyLagAlarmSeconds': '2.5' }))).toThrow(/1 to 86400/);
  });

  it('validates the groups a user may create an hour', () => {
    expect(groupsCreatedPerHourFromContext(contextNode({}))).toBeUndefined();
    expect(groupsCreatedPerHourFromContext(contextNode({ 'messenger:groupsCreatedPerHour': '100' }))).toBe(100);
    expect(groupsCreatedPerHourFromContext(contextNode({ 'messenger:groupsCreatedPerHour': 10_000 }))).toBe(10_000);
    for (const value of ['0', '10001', '2.5', 'many']) {
      expect(() => groupsCreatedPerHourFromContext(contextNode({ 'messenger:groupsCreatedPerHour': value }))).toThrow(/messenger:groupsCreatedPerHour must be a whole number of groups from 1 to 10000/);
    }
  });

  it('reads platform application ARNs, checking each names its platform', () => {
    const apns = 'arn:aws:sns:us-east-1:123456789012:app/APNS/messenger';
    const fcm = 'arn:aws:sns:us-east-1:123456789012:app/GCM/messenger';
    expect(pushApplicationsFromContext(contextNode({}))).toEqual({});
    expect(
      pushApplicationsFromContext(contextNode({ 'messenger:apnsPlatformApplicationArn': apns, 'messenger:fcmPlatformApplicationArn': fcm })),
    ).toEqual({ apns, fcm });
    expect(() => pushApplicationsFromContext(contextNode({ 'messenger:apnsPlatformApplicationArn': fcm }))).toThrow(/another platform/);
    expect(() => pushApplicationsFromContext(contextNode({ 'messenger:fcmPlatformApplicationArn': 'arn:aws:sns:x' }))).toThrow(/platform application ARN/);
  });

  it('reads the alarm email, one plain address or nothing', () => {
    expect(alarmEmailFromContext(contextNode({}))).toBeUndefined();
    expect(alarmEmailFromContext(contextNode({ 'messenger:alarmEmail': 'ops@example.com' }))).toBe('ops@example.com');
    expect(alarmEmailFromContext(contextNode({ 'messenger:alarmEmail': 'on-call+messenger@ops.example.co.uk' }))).toBe('on-call+messenger@ops.example.co.uk');
    for (const bad of ['ops', 'ops@', '@example.com', 'ops@example', 'Ops <ops@example.com>', 'a@example.com,b@example.com', ' ops@example.com', 'ops@exa mple.com', '', 42]) {
      expect(() => alarmEmailFromContext(contextNode({ 'messenger:alarmEmail': bad }))).toThrow(/messenger:alarmEmail must be one email address/);
    }
  });
});
