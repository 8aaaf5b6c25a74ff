// Jest runs the TypeScript sources directly through ts-jest in ESM mode (Ink is ESM-only).
// Suites are chosen with --selectProjects unit|bpf|lab; scripts/run-tests.sh runs each
// where it belongs (bpf inside its own network namespace).
const common = {
  extensionsToTreatAsEsm: ['.ts', '.tsx'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json' }],
  },
  testEnvironment: 'node',
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts?(x)'] },
    { ...common, displayName: 'bpf', testMatch: ['<rootDir>/test/bpf/**/*.test.ts'] },
    { ...common, displayName: 'lab', testMatch: ['<rootDir>/test/lab/**/*.test.ts'] },
  ],
  reporters: ['default', '<rootDir>/scripts/count-reporter.cjs'],
};
