// VM creation as a Plan of command changes, so the apply engine journals it and its rollback is the
// ordinary one: undone in reverse order, `virsh destroy` (when it runs), then
// `virsh undefine --nvram` removing only the disk virt-install created (never an imported image).
import type { Plan } from '../plan/types.js';
import { virtInstallArgv } from './virt-install-args.js';
import type { VmSpec } from './vm-spec.js';

export function vmCreatePlan(spec: VmSpec): Plan {
  const virsh = ['virsh', '-c', spec.connect];
  const undefine = [...virsh, 'undefine', spec.name, '--nvram'];
  // bus=virtio puts the created disk at vda; --storage vda deletes that volume and nothing else.
  if (spec.disk.kind === 'new') undefine.push('--storage', 'vda');
  const test = spec.connect.startsWith('test:');
  const changes: Plan['changes'] = [
    {
      kind: 'command',
      argv: virtInstallArgv(spec),
      why: `define and start ${spec.name} with ${spec.devices.length} passed-through function${spec.devices.length === 1 ? '' : 's'}${spec.mdevs.length > 0 ? ` and ${spec.mdevs.length} mediated device${spec.mdevs.length === 1 ? '' : 's'}` : ''}${spec.disk.kind === 'new' ? ` and a new ${spec.disk.sizeGiB} GiB disk in pool ${spec.disk.pool}` : ''}`,
      phase: 'other',
      runsOn: 'host',
      // libvirt's test driver keeps nothing once virt-install has exited: there is nothing to remove
      undo: test ? null : { argv: undefine, why: `remove ${spec.name}, its UEFI variables${spec.disk.kind === 'new' ? ' and the disk created for it' : ''}` },
    },
  ];
  // …and `virsh domstate` after virt-install could only fail there: left out for test:/// URIs alone
  if (!test) {
    changes.push({
      kind: 'command',
      argv: [...virsh, 'domstate', spec.name],
      why: 'confirm the domain exists and show its state',
      phase: 'other',
      runsOn: 'host',
      undo: { argv: [...virsh, 'destroy', spec.name], why: `stop ${spec.name} before it is removed`, mayFail: true },
    });
  }
  return { stepId: 'vm', title: `Create the virtual machine ${spec.name}`, needsReboot: false, changes, notes: connectHints(spec) };
}

export function connectHints(spec: VmSpec): string[] {
  const c = spec.connect;
  const hints = [`virsh -c ${c} console ${spec.name}    (serial console; leave with Ctrl+])`];
  if (spec.display !== 'none') hints.push(`virt-viewer -c ${c} ${spec.name}    (the ${spec.display.toUpperCase()} display)`);
  else hints.push('The guest shows on the monitor plugged into the passed-through GPU.');
  hints.push(`virsh -c ${c} dominfo ${spec.name}`);
  return hints;
}
