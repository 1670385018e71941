// Property tests run with one fixed seed in `npm test`, so CI is reproducible; FC_SEED overrides
// it to explore other seeds locally.
//
// defaultSizeToMaxWhenMaxSpecified: fast-check 4 draws arrays of at most about ten elements
// unless told a size, whatever `maxLength` says; a test that asks for histories of up to 400
// operations means it (that is how the retention journal's replay bug was found: it needs a ring
// that wraps after a few dozen allocations). Arrays without a maxLength stay small.
import fc from 'fast-check';

fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: Number(process.env.FC_SEED ?? 20261126), defaultSizeToMaxWhenMaxSpecified: true });
