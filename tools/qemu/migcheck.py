#!/usr/bin/env python3
# migcheck.py - migrate the workload guest between two local QEMUs (loopback)
# and compare their memory afterwards; optionally with a plan ring producer.
# A manual check of tools/qemu/patches, not a test of the suite.
# usage: tools/qemu/migcheck.py NAME [--accel kvm|tcg] [--plan PATH]
#        [--producer 'build/helpers/plan_fake PATH plan defer=512:2048'] [--append ...]
# env QEMU (default $QEMU_CACHE/bin/qemu-system-x86_64, QEMU_CACHE default
# <repo>/.cache/qemu); results in /tmp/mig-NAME/. Under KVM the guests run
# with -cpu qemu64,-kvmclock: KVM rewrites the kvmclock page SeaBIOS sets up
# on the destination, which would make the memory differ by those bytes.
import argparse, json, os, socket, subprocess, sys, time, filecmp, shlex

ap = argparse.ArgumentParser()
ap.add_argument('name')
ap.add_argument('--accel', default='kvm')
ap.add_argument('--plan', default=None)
ap.add_argument('--producer', default=None)
ap.add_argument('--append', default='pattern=hotcold pages=16384 hot=2048')
ap.add_argument('--bw', type=int, default=32 << 20)
ap.add_argument('--downtime', type=int, default=300)
ap.add_argument('--warm', type=float, default=8.0)  # SeaBIOS boot: ~6 s
ap.add_argument('--port', type=int, default=45000 + os.getpid() % 1000)
ap.add_argument('--timeout', type=float, default=240)
a = ap.parse_args()

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QEMU = os.environ.get('QEMU') or os.path.join(
    os.environ.get('QEMU_CACHE', os.path.join(REPO, '.cache/qemu')), 'bin/qemu-system-x86_64')
GUEST = os.path.join(REPO, 'build/guest/guest.elf')
D = f'/tmp/mig-{a.name}'
os.makedirs(D, exist_ok=True)
for f in os.listdir(D):
    os.unlink(os.path.join(D, f))

accel = ['-accel', 'kvm,dirty-ring-size=65536'] if a.accel == 'kvm' else ['-accel', 'tcg']
common = [QEMU] + accel + (['-cpu', 'qemu64,-kvmclock'] if a.accel == 'kvm' else []) + ['-m', '256', '-display', 'none', '-nic', 'none',
                           '-kernel', GUEST, '-append', a.append]


class QMP:
    def __init__(self, path):
        for _ in range(100):
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                time.sleep(0.05)
        self.f = self.s.makefile('rw')
        json.loads(self.f.readline())
        self.cmd('qmp_capabilities')

    def cmd(self, name, **args):
        self.f.write(json.dumps({'execute': name, 'arguments': args}) + '\n')
        self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if 'event' in r:
                continue
            if 'error' in r:
                raise RuntimeError(f'{name}: {r["error"]}')
            return r['return']


procs = []
prod = None
if a.producer:
    prod = subprocess.Popen(shlex.split(a.producer), stdout=open(f'{D}/producer.log', 'w'),
                            stderr=subprocess.STDOUT)
    time.sleep(0.3)
dst = subprocess.Popen(common + ['-serial', f'file:{D}/dst.serial', '-qmp', f'unix:{D}/dst.sock,server=on,wait=off',
                                 '-incoming', f'tcp:127.0.0.1:{a.port}', '-S'],
                       stdout=open(f'{D}/dst.out', 'w'), stderr=subprocess.STDOUT)
src = subprocess.Popen(common + ['-serial', f'file:{D}/src.serial', '-qmp', f'unix:{D}/src.sock,server=on,wait=off'],
                       stdout=open(f'{D}/src.out', 'w'), stderr=subprocess.STDOUT)
procs = [dst, src]
try:
    qd = QMP(f'{D}/dst.sock')
    qs = QMP(f'{D}/src.sock')
    time.sleep(a.warm)
    params = {'max-bandwidth': a.bw, 'downtime-limit': a.downtime}
    if a.plan is not None:
        params['x-precopy-plan'] = a.plan
    qs.cmd('migrate-set-parameters', **params)
    p = qs.cmd('query-migrate-parameters')
    print('x-precopy-plan =', repr(p.get('x-precopy-plan')))
    t0 = time.time()
    qs.cmd('migrate', uri=f'tcp:127.0.0.1:{a.port}')
    while True:
        m = qs.cmd('query-migrate')
        if m.get('status') in ('completed', 'failed', 'cancelled'):
            break
        if time.time() - t0 > a.timeout:
            print('timeout; cancelling; last', json.dumps(m.get('ram', {})))
            qs.cmd('migrate_cancel')
            time.sleep(1)
            m = qs.cmd('query-migrate')
            break
        time.sleep(0.2)
    ram = m.get('ram', {})
    print(f"status {m.get('status')} total {m.get('total-time')} ms downtime {m.get('downtime')} ms "
          f"transferred {ram.get('transferred')} normal {ram.get('normal')} dup {ram.get('duplicate')} "
          f"syncs {ram.get('dirty-sync-count')} mbps {ram.get('mbps')}")
    if m.get('status') == 'completed':
        for _ in range(100):
            if qd.cmd('query-migrate').get('status') == 'completed':
                break
            time.sleep(0.1)
        print('dst status', qd.cmd('query-migrate').get('status'), qd.cmd('query-status')['status'],
              'src', qs.cmd('query-status')['status'])
        qs.cmd('pmemsave', val=0, size=256 << 20, filename=f'{D}/src.mem')
        qd.cmd('pmemsave', val=0, size=256 << 20, filename=f'{D}/dst.mem')
        time.sleep(0.5)
        same = filecmp.cmp(f'{D}/src.mem', f'{D}/dst.mem', shallow=False)
        print('memory equal:', same, os.path.getsize(f'{D}/src.mem'))
        if not same:
            r = subprocess.run(f'cmp -l {D}/src.mem {D}/dst.mem | wc -l; cmp -l {D}/src.mem {D}/dst.mem | head -5', shell=True, capture_output=True, text=True)
            print('differing bytes / first:', r.stdout)
    for q in (qs, qd):
        try:
            q.cmd('quit')
        except Exception:
            pass
finally:
    for pr in procs:
        try:
            pr.wait(5)
        except subprocess.TimeoutExpired:
            pr.kill()
    if prod:
        try:
            prod.wait(5)
        except subprocess.TimeoutExpired:
            prod.terminate()
            prod.wait()
    for f in ('src.out', 'dst.out'):
        t = open(f'{D}/{f}').read().strip()
        if t:
            print(f'--- {f}:\n{t}')
    if prod:
        print('--- producer (tail):')
        print(''.join(open(f'{D}/producer.log').readlines()[-40:]))
    for f in ('src.mem', 'dst.mem'):
        try:
            os.unlink(f'{D}/{f}')
        except OSError:
            pass
