import { exposureWarning, isLoopbackAddress, listenAddresses } from '../../../local-cloud/bind-address';

describe('the addresses the local cloud listens on', () => {
  it('always listens on 127.0.0.1, where its functions and tools reach it, beside another address; a wildcard takes 127.0.0.1 in', () => {
    expect(listenAddresses('127.0.0.1')).toEqual(['127.0.0.1']);
    expect(listenAddresses('192.168.1.20')).toEqual(['127.0.0.1', '192.168.1.20']);
    expect(listenAddresses('::1')).toEqual(['127.0.0.1', '::1']);
    expect(listenAddresses('0.0.0.0')).toEqual(['0.0.0.0']);
    expect(listenAddresses('::')).toEqual(['::']);
  });

  it('tells loopback peers from others, IPv4 mapped into IPv6 included', () => {
    for (const address of ['127.0.0.1', '127.0.0.2', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(address)).toBe(true);
    for (const address of ['192.168.1.20', '::ffff:10.0.0.1', '0.0.0.0', '::', 'fe80::1', undefined]) expect(isLoopbackAddress(address)).toBe(false);
  });

  it('warns when the port opens to other machines, and only then', () => {
    expect(exposureWarning('127.0.0.1', 8080)).toBeUndefined();
    expect(exposureWarning('::1', 8080)).toBeUndefined();
    expect(exposureWarning('0.0.0.0', 8080)).toMatch(/^WARNING: LOCAL_BIND_ADDRESS=0\.0\.0\.0 opens port 8080 to every machine/);
  });
});
