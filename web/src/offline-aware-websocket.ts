/**
 * The browser's WebSocket, closed as soon as the browser says it is offline. Browsers keep an open
 * socket through a network change until TCP gives up, which can take minutes; closing it at once
 * lets the SDK show the loss and reconnect (with a fresh token, catching up) when the network is back.
 */
export function offlineAwareWebSocket(): typeof WebSocket {
  const open = new Set<WebSocket>();
  window.addEventListener('offline', () => {
    for (const socket of open) socket.close(4001, 'browser offline');
  });
  return class OfflineAwareWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      open.add(this);
      this.addEventListener('close', () => open.delete(this));
    }
  };
}
