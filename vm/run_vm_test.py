#!/usr/bin/python3
"""vm/run_vm.py's choice of machine: microvm under TCG only with the host's TSC frequency
known (without it a failed PIT calibration hangs the guest), q35 otherwise."""
import os
import sys
import tempfile
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_vm  # noqa: E402

_CPUINFO = "processor\t: 0\ncpu MHz\t\t: 2096.020\nflags\t\t: fpu tsc constant_tsc nonstop_tsc\n"


class HostTscTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR"))
        self.addCleanup(self.dir.cleanup)
        self.nofreq = os.path.join(self.dir.name, "no-cpufreq")

    def _cpuinfo(self, text):
        path = os.path.join(self.dir.name, "cpuinfo")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_constant_tsc_gives_cpu_mhz(self):
        self.assertEqual(run_vm._host_tsc_khz(self._cpuinfo(_CPUINFO), self.nofreq), 2096020)

    def test_tsc_that_follows_the_clock_is_unknown(self):
        text = _CPUINFO.replace(" constant_tsc", "")
        self.assertIsNone(run_vm._host_tsc_khz(self._cpuinfo(text), self.nofreq))

    def test_frequency_scaling_is_unknown(self):
        # With cpufreq, `cpu MHz` is the core's current clock.
        self.assertIsNone(run_vm._host_tsc_khz(self._cpuinfo(_CPUINFO), self.dir.name))

    def test_no_cpu_mhz_is_unknown(self):
        text = "flags\t\t: constant_tsc\n"
        self.assertIsNone(run_vm._host_tsc_khz(self._cpuinfo(text), self.nofreq))


@mock.patch.object(run_vm, "_has_microvm", return_value=True)
class MachineTest(unittest.TestCase):
    def _machine(self, accel, tsc_khz, forced=None):
        env = {"SBX_VM_MACHINE": forced} if forced else {}
        with mock.patch.dict(os.environ, env, clear=False), \
                mock.patch.object(run_vm, "_host_tsc_khz", return_value=tsc_khz):
            if not forced:
                os.environ.pop("SBX_VM_MACHINE", None)
            return run_vm._machine(accel)

    def test_tcg_with_known_tsc_is_microvm_told_the_frequency(self, _):
        machine, args, _why = self._machine("tcg", 2096020)
        self.assertEqual((machine, args), ("microvm", " tsc_early_khz=2096020"))

    def test_tcg_with_unknown_tsc_is_q35(self, _):
        self.assertEqual(self._machine("tcg", None)[:2], ("q35", ""))

    def test_kvm_is_q35(self, _):
        self.assertEqual(self._machine("kvm", 2096020)[:2], ("q35", ""))

    def test_qemu_without_microvm_is_q35(self, has_microvm):
        has_microvm.return_value = False
        self.assertEqual(self._machine("tcg", 2096020)[:2], ("q35", ""))

    def test_forced(self, _):
        self.assertEqual(self._machine("tcg", 2096020, "q35")[:2], ("q35", ""))
        self.assertEqual(self._machine("tcg", None, "microvm")[:2], ("microvm", ""))
        with self.assertRaises(SystemExit):
            self._machine("tcg", 2096020, "pc")


if __name__ == "__main__":
    unittest.main()
