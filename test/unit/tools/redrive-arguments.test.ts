import { parseRedriveArguments, UsageError } from '../../../tools/redrive/arguments';
import { resolveQueue } from '../../../tools/redrive/queues';

const LOCAL = { LOCAL_CLOUD_URL: 'http://127.0.0.1:8080/' };

describe('redrive arguments', () => {
  it('redrives the named queue on AWS, in the Messenger stack unless told another, waiting 900 s', () => {
    expect(parseRedriveArguments(['MessagePipelineDeadLetters'], {})).toEqual({
      queue: 'MessagePipelineDeadLetters',
      target: { kind: 'aws', stackName: 'Messenger' },
      maxMessagesPerSecond: undefined,
      timeoutSeconds: 900,
    });
    expect(parseRedriveArguments(['--stack', 'Staging', '--rate', '50', '--timeout=60', 'q'], {})).toMatchObject({
      target: { kind: 'aws', stackName: 'Staging' },
      maxMessagesPerSecond: 50,
      timeoutSeconds: 60,
    });
  });

  it('redrives in the local cloud LOCAL_CLOUD_URL names', () => {
    expect(parseRedriveArguments(['https://sqs.us-east-1.amazonaws.com/123456789012/dlq'], LOCAL)).toMatchObject({
      queue: 'https://sqs.us-east-1.amazonaws.com/123456789012/dlq',
      target: { kind: 'local', baseUrl: 'http://127.0.0.1:8080' },
    });
  });

  it('answers --help', () => {
    expect(parseRedriveArguments(['--help'], {})).toBe('help');
    expect(parseRedriveArguments(['-h', 'q'], {})).toBe('help');
  });

  it.each([
    [[], /one dead-letter queue, got 0/],
    [['a', 'b'], /one dead-letter queue, got 2/],
    [['--rate', '0', 'q'], /--rate "0"/],
    [['--rate', '501', 'q'], /--rate "501"/],
    [['--rate', 'fast', 'q'], /--rate "fast"/],
    [['--timeout', '1.5', 'q'], /--timeout "1.5"/],
    [['--stack', 'no such stack', 'q'], /--stack "no such stack" is not a CloudFormation stack name/],
    [['--queue', 'q'], /Unknown option '--queue'/],
    [['a queue with spaces'], /queue "a queue with spaces" is neither/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseRedriveArguments(argv, {})).toThrow(UsageError);
    expect(() => parseRedriveArguments(argv, {})).toThrow(message);
  });

  it('refuses a LOCAL_CLOUD_URL that is not an http URL, and a stack beside it', () => {
    expect(() => parseRedriveArguments(['q'], { LOCAL_CLOUD_URL: 'localhost:8080' })).toThrow(/LOCAL_CLOUD_URL "localhost:8080"/);
    expect(() => parseRedriveArguments(['--stack', 'Messenger', 'q'], LOCAL)).toThrow(/--stack names a stack on AWS/);
  });
});

describe('finding the queue', () => {
  const queues = {
    MessagePipelineDeadLettersQueue2B0B56B8: 'http://127.0.0.1:1/000000000000/Messenger-MessagePipelineDeadLettersQueue2B0B56B8',
    MessagePipelineQueueE49C11CA: 'http://127.0.0.1:1/000000000000/Messenger-MessagePipelineQueueE49C11CA',
  };
  const deadLetters = queues.MessagePipelineDeadLettersQueue2B0B56B8;

  it('by logical id, a unique prefix of it, its name or its URL (whatever the host)', () => {
    expect(resolveQueue('MessagePipelineDeadLettersQueue2B0B56B8', queues)).toBe(deadLetters);
    expect(resolveQueue('MessagePipelineDeadLetters', queues)).toBe(deadLetters);
    expect(resolveQueue('Messenger-MessagePipelineDeadLettersQueue2B0B56B8', queues)).toBe(deadLetters);
    expect(resolveQueue('https://sqs.us-east-1.amazonaws.com/000000000000/Messenger-MessagePipelineDeadLettersQueue2B0B56B8', queues)).toBe(deadLetters);
  });

  it('says what the stack has when nothing or several match', () => {
    expect(() => resolveQueue('MessagePipeline', queues)).toThrow(/start of several queues' logical ids .*: name one/);
    expect(() => resolveQueue('Push', queues)).toThrow(/no queue of the stack is named Push .*its queues: MessagePipelineDeadLettersQueue2B0B56B8, MessagePipelineQueueE49C11CA/);
    expect(() => resolveQueue('http://127.0.0.1:1/000000000000/other', queues)).toThrow(/no queue of the stack has the URL/);
  });
});
