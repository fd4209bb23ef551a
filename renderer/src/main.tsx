import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RpcClient } from '../../shared/rpc-client';
import { ClientProvider } from './bridge/client-context';
import { createTransport } from './bridge/transport';
import { App } from './shell/App';
import { TokenNeeded } from './shell/TokenNeeded';
import './shell/styles.css';

const transport = createTransport();
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    {transport ? (
      <ClientProvider client={new RpcClient(transport, (message) => console.error('Tributary host refused a message:', message))}>
        <App />
      </ClientProvider>
    ) : (
      <TokenNeeded />
    )}
  </StrictMode>,
);
