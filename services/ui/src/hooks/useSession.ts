import { useCallback, useEffect, useRef, useState } from 'react';

import type { Api } from '../lib/api';
import { ChatApiError } from '../lib/errors';
import type { Session } from '../lib/session';
import type { User } from '../types/chat';

/** Who is chatting: the session the browser holds, or a new guest at once (no sign-up wall). */
export function useSession(session: Session, api: Api) {
  const [user, setUser] = useState<User | null>(session.user);
  const [failure, setFailure] = useState<ChatApiError | null>(null);
  const [ended, setEnded] = useState(false);
  const wasAccount = useRef(false);

  // Callbacks of a promise: the session the cookie holds, or a new guest.
  const started = useCallback((next: User) => {
    setUser(next);
    setFailure(null);
    setEnded(false);
  }, []);
  const failed = useCallback((error: unknown) => {
    setFailure(
      error instanceof ChatApiError ? error : new ChatApiError('network_error', 'Could not reach the server.'),
    );
  }, []);
  const start = useCallback(() => session.start().then(started, failed), [session, started, failed]);

  useEffect(() => {
    const unsubscribe = session.onChange((next) => {
      if (next === null && wasAccount.current) setEnded(true); // an account's session ended: say so
      wasAccount.current = next !== null && !next.guest;
      setUser(next);
    });
    session.start().then(started, failed);
    return unsubscribe;
  }, [session, started, failed]);

  const register = useCallback(
    async (email: string, password: string) => session.apply(await api.register(email, password)),
    [session, api],
  );
  const signIn = useCallback(
    async (email: string, password: string) => session.apply(await api.signIn(email, password)),
    [session, api],
  );
  const changePassword = useCallback(
    async (current: string, next: string) => session.apply(await api.changePassword(current, next)),
    [session, api],
  );
  const signOut = useCallback(
    async (everywhere = false) => {
      await (everywhere ? api.signOutEverywhere() : api.signOut()).catch(() => undefined);
      wasAccount.current = false;
      session.forget();
      await start(); // a guest again, so the page still chats
    },
    [session, api, start],
  );

  /** Deletes the account (a failure, such as a wrong password, is thrown for the form to show). */
  const deleteAccount = useCallback(
    async (password?: string) => {
      await api.deleteAccount(password);
      wasAccount.current = false; // not "your session ended": the user asked for this
      session.forget();
    },
    [session, api],
  );

  return { user, failure, ended, retry: start, register, signIn, changePassword, signOut, deleteAccount };
}
