// Disruptive tests run in Jest's main process, where the integration project's global setup left
// the shared cloud's address. Forgetting it here makes a disruptive test that did not start its
// own cloud (test/support/own-cloud.ts) fail loudly instead of breaking the shared one.
for (const name of Object.keys(process.env)) {
  if (name.startsWith('LOCAL_CLOUD_')) delete process.env[name];
}
