import select
import signal


def scenario_main_blocks_every_signal_and_waits():
    signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
    select.select([], [], [], 60)
