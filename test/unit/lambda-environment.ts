// The environment the stack gives the functions, so that their cold-start config loads.
Object.assign(process.env, {
  AWS_REGION: 'us-east-1',
  CONNECTIONS_TABLE: 'connections-table',
  IDLE_TIMEOUT_SECONDS: '600',
  PUSH_DEVICES_TABLE: 'push-devices',
  TOKEN_ISSUER_URL: 'https://issuer.example.com/pool',
  TOKEN_JWKS_URI: 'https://issuer.example.com/pool/.well-known/jwks.json',
  TOKEN_AUDIENCE: 'messenger-client',
  POWERTOOLS_METRICS_NAMESPACE: 'MessengerTest',
  POWERTOOLS_SERVICE_NAME: 'messenger',
  POWERTOOLS_DEV: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
});
