// @ts-check
/**
 * No import runs in a circle, anywhere: `pnpm lint` runs this over every
 * package. Type-only imports count too (they still tie two files' designs
 * together; splitting a module whose parts import each other does not make
 * it two modules). The other import rules of the architecture are lint
 * rules (eslint.architecture.js).
 *
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A module that imports, directly or through others, a module that imports it back.',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules|coverage)/' },
    // Imports that vanish when compiled (`import type`) are dependencies too.
    tsPreCompilationDeps: true,
  },
};
