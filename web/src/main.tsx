import { render } from 'preact';
import './app.css';
import { App } from './components/App';
import { loadConfig } from './config';

const root = document.getElementById('app')!;
loadConfig().then(
  (config) => render(<App config={config} />, root),
  (error: Error) => render(<p role="alert">The messenger cannot start: {error.message}</p>, root),
);
