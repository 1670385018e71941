// Test-only entry point of engine/: switches planted bugs on for the harness's self-test.
export { PLANTED_BUGS, setPlantedBug, type PlantedBug } from './planted-bugs.js';
