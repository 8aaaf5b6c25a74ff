// Appends this jest run's totals to $LVS_TEST_COUNTS (one "passed failed" line per run),
// so scripts/run-tests.sh can print the single `tests: N passed, N failed` line CI reads.
const fs = require('node:fs');

class CountReporter {
  onRunComplete(_contexts, results) {
    const file = process.env.LVS_TEST_COUNTS;
    if (!file) return;
    // A suite that failed to load counts as one failure: it ran no test but is broken.
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    fs.appendFileSync(file, `${results.numPassedTests} ${failed}\n`);
  }
}
module.exports = CountReporter;
