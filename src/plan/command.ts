// One parsed ipvsadm command → its plan. Shared by the CLI, -R (src/plan/restore.ts)
// and the agent (src/agent/runner.ts).
import type { Command } from '../ipvsadm/command.js';
import type { Op } from './ops.js';
import type { DpState } from './state.js';
import * as plan from './plan.js';
import { planAddLaddr, planDelLaddr } from './laddr.js';

/** Plans one mutating command; undefined for commands that do not change maps. */
export function planCommand(state: DpState, cmd: Command): Op[] | undefined {
  switch (cmd.kind) {
    case 'add-service': return plan.planAddService(state, cmd.service);
    case 'edit-service': return plan.planEditService(state, cmd.service);
    case 'delete-service': return plan.planDeleteService(state, cmd.key);
    case 'clear': return plan.planClear(state);
    case 'add-real': return plan.planAddReal(state, cmd.key, cmd.real);
    case 'edit-real': return plan.planEditReal(state, cmd.key, cmd.real);
    case 'delete-real': return plan.planDeleteReal(state, cmd.key, cmd.real);
    case 'zero': return plan.planZero(state, cmd.key);
    case 'set-timeout': return [{ op: 'set-timeouts', tcp: cmd.tcp, tcpfin: cmd.tcpfin, udp: cmd.udp }];
    case 'add-laddr': return planAddLaddr(state, cmd.key, cmd.laddr); // FULLNAT LIPs (issue #3)
    case 'delete-laddr': return planDelLaddr(state, cmd.key, cmd.laddr);
    default: return undefined;
  }
}
