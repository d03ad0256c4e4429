import { localCloudConfigFromEnv } from '../../../local-cloud/config';

describe('the local cloud settings', () => {
  it('listens on 127.0.0.1 unless LOCAL_BIND_ADDRESS names another address, and refuses anything but an IP address', () => {
    expect(localCloudConfigFromEnv({}).bindAddress).toBe('127.0.0.1');
    expect(localCloudConfigFromEnv({ LOCAL_BIND_ADDRESS: '0.0.0.0' }).bindAddress).toBe('0.0.0.0');
    expect(localCloudConfigFromEnv({ LOCAL_BIND_ADDRESS: '::' }).bindAddress).toBe('::');
    for (const address of ['localhost', 'example.com', '0.0.0.0:8080', '', '256.1.1.1']) {
      expect(() => localCloudConfigFromEnv({ LOCAL_BIND_ADDRESS: address })).toThrow(/LOCAL_BIND_ADDRESS: must be an IPv4 or IPv6 address/);
    }
  });

  it("signs /dev/token's tokens for a day by default (the authorizer's most), and for as little as LOCAL_TOKEN_SECONDS says", () => {
    expect(localCloudConfigFromEnv({}).tokenSeconds).toBe(86_400);
    expect(localCloudConfigFromEnv({ LOCAL_TOKEN_SECONDS: '30' }).tokenSeconds).toBe(30);
    for (const seconds of ['0', '86401', '1.5', 'an hour']) {
      expect(() => localCloudConfigFromEnv({ LOCAL_TOKEN_SECONDS: seconds })).toThrow(/LOCAL_TOKEN_SECONDS/);
    }
  });

  it('lets a user create 1,000 groups an hour by default, and takes 1 to 10,000 from LOCAL_GROUPS_CREATED_PER_HOUR', () => {
    expect(localCloudConfigFromEnv({}).groupsCreatedPerHour).toBe(1000);
    expect(localCloudConfigFromEnv({ LOCAL_GROUPS_CREATED_PER_HOUR: '20' }).groupsCreatedPerHour).toBe(20);
    for (const groups of ['0', '10001', '2.5', 'many']) {
      expect(() => localCloudConfigFromEnv({ LOCAL_GROUPS_CREATED_PER_HOUR: groups })).toThrow(/LOCAL_GROUPS_CREATED_PER_HOUR/);
    }
  });
});
