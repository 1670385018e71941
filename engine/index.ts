// Public entry point of engine/: the replication engine, written only against ports.ts.
export type * from './ports.js';
export { HyperVReplicaService } from './providers/hyperv-replica/hyperv-replica-service.js';
export { HVR_SERVICE, type HvrRequest, type HvrResponse } from './providers/hyperv-replica/requests.js';
export type { RecoveryPointInfo } from './providers/hyperv-replica/recovery-history.js';
export { PrimarySession, HRL_RESYNC_FRACTION, type PrimaryPhase } from './providers/hyperv-replica/primary-session.js';
export { ReplicaSession } from './providers/hyperv-replica/replica-session.js';
export { HyperVReplicaController, STATUS_POLL_INTERVAL, type ProtectedVm, type OperationResult, type ControllerPorts } from './control-plane/hyperv-controller.js';
export { JobLog, type Job, type JobStep, type JobStatus } from './control-plane/jobs.js';
export { xstateClock } from './control-plane/xstate-clock.js';
export { seal, open, WIRE_VERSION, FRAME_OVERHEAD_BYTES, type Envelope } from './data-plane/envelope.js';
export { coalesce } from './data-plane/coalesce.js';
export { evaluateHealth, CycleWindow, type Health, type HealthState } from './providers/hyperv-replica/health.js';
export { TestDisk } from './providers/hyperv-replica/test-disk.js';
export { RecoveryPlanRunner, planRunMachine, validateRecoveryPlan, RECOVERY_PLAN_GROUPS_MAX, RECOVERY_PLAN_ITEMS_MAX, type RecoveryPlan, type PlanGroup, type PlanAction, type PlanKind, type PlanRun } from './control-plane/recovery-plan.js';
