import { createContext, useContext, type ReactNode } from 'react';
import type { RpcClient } from '../../../shared/rpc-client';

const ClientContext = createContext<RpcClient | null>(null);

export function ClientProvider({ client, children }: { client: RpcClient; children: ReactNode }) {
  return <ClientContext.Provider value={client}>{children}</ClientContext.Provider>;
}

export function useClient(): RpcClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useClient outside ClientProvider');
  return client;
}
