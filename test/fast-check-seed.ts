// Property tests run with one fixed seed in `npm test`, so CI is reproducible; FC_SEED overrides
// it to explore other seeds locally.
import fc from 'fast-check';

fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: Number(process.env.FC_SEED ?? 20261126) });
