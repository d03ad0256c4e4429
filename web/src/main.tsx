import { render, type ComponentChild } from 'preact';
import './app.css';
import { App } from './components/App';
import { loadConfig } from './config';

const root = document.getElementById('app')!;
// Preact keeps what it did not render: the page's "Loading…" goes first.
const start = (app: ComponentChild) => {
  root.replaceChildren();
  render(app, root);
};
loadConfig().then(
  (config) => start(<App config={config} />),
  (error: Error) => start(<p role="alert">The messenger cannot start: {error.message}</p>),
);
