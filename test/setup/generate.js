/**
 * jest globalSetup: regenerate src/_generated/ from the schemas, so `npx jest` on a fresh clone (or after a
 * schema edit) type-checks against the current contract.
 */
const { execFileSync } = require('child_process');
const path = require('path');

module.exports = async () => {
  execFileSync(
    process.execPath,
    [path.join(__dirname, '..', '..', 'scripts', 'generate-types.mjs')],
    { stdio: 'inherit' }
  );
};
