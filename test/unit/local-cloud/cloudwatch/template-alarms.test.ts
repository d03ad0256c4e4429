import { Template } from 'aws-cdk-lib/assertions';
import { MessengerStack } from '../../../../lib/messenger-stack';
import { alarmDefinitionOf, type AlarmProperties } from '../../../../local-cloud/services/cloudwatch/alarm-definitions';
import { testApp } from '../../../stack/template';

describe('the alarms of the messenger`s template', () => {
  test('are all ones the local cloud evaluates (it refuses to start on any other)', () => {
    const resources = Template.fromStack(new MessengerStack(testApp(), 'Messenger')).toJSON().Resources as Record<string, { Type: string; Properties: AlarmProperties }>;
    const alarms = Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(0);
    const kinds = alarms.map(([logicalId, { Properties }]) => alarmDefinitionOf(logicalId, logicalId, logicalId, Properties).source.kind);
    expect(new Set(kinds)).toEqual(new Set(['metric', 'math']));
  });
});
