import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../session';

/** Renders again on every change of the session, and once a minute for "last seen" and times. */
export function useSession(session: Session): void {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const rerender = () => setVersion((version) => version + 1);
    const unsubscribe = session.subscribe(rerender);
    const clock = setInterval(rerender, 60_000);
    return () => {
      unsubscribe();
      clearInterval(clock);
    };
  }, [session]);
}
