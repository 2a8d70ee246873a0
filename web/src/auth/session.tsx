// The signed-in session: JWT, its expiry and the user; kept in localStorage across reloads.
// Expiry (by clock or by a 401 from the API) signs out and sends the user to /login with a notice.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { client, setToken, setUnauthorizedHandler, unwrap } from '../api/client';
import type { Role, User } from '../api/types';

export interface Session {
  token: string;
  expiresAt: number;
  user: User;
}

export type SignOutReason = 'expired' | 'logout';

interface SessionContextValue {
  session: Session | null;
  signOutReason: SignOutReason | null;
  login(username: string, password: string): Promise<void>;
  logout(reason?: SignOutReason): void;
  // The signed-in user changed (edited their own name): keep the header and storage in step.
  updateUser(user: User): void;
}

const STORAGE_KEY = 'kaiwu.session';
const SessionContext = createContext<SessionContextValue | null>(null);

function load(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as Session | null;
    if (s && s.token && s.expiresAt > Date.now()) return s;
  } catch {
    /* ignore */
  }
  return null;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(() => {
    const s = load();
    setToken(s?.token ?? null);
    return s;
  });
  const [signOutReason, setSignOutReason] = useState<SignOutReason | null>(null);

  const logout = useCallback((reason: SignOutReason = 'logout') => {
    localStorage.removeItem(STORAGE_KEY);
    setToken(null);
    setSession((prev) => {
      if (prev) setSignOutReason(reason);
      return null;
    });
  }, []);

  const login = useCallback(async (username: string, password: string) => {
    const data = await unwrap(client.POST('/api/v1/auth/login', { body: { username, password } }));
    const s = data as unknown as Session;
    localStorage.setItem(STORAGE_KEY, JSON.stringify(s));
    setToken(s.token);
    setSignOutReason(null);
    setSession(s);
  }, []);

  const updateUser = useCallback((user: User) => {
    setSession((prev) => {
      if (!prev || prev.user.id !== user.id) return prev;
      const next = { ...prev, user };
      localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
      return next;
    });
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => logout('expired'));
    return () => setUnauthorizedHandler(null);
  }, [logout]);

  useEffect(() => {
    if (!session) return;
    const left = session.expiresAt - Date.now();
    const timer = setTimeout(() => logout('expired'), Math.max(0, Math.min(left, 2 ** 31 - 1)));
    return () => clearTimeout(timer);
  }, [session, logout]);

  const value = useMemo(() => ({ session, signOutReason, login, logout, updateUser }), [session, signOutReason, login, logout, updateUser]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSession outside SessionProvider');
  return ctx;
}

export function useRole(): Role | null {
  return useSession().session?.user.role ?? null;
}
