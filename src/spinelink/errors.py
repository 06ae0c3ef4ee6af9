"""Domain errors: each carries one line for the user, never personal data."""


class SpinelinkError(Exception):
    """Base class; the CLI prints str(err) as one line and exits non-zero."""

    exit_code = 1


class JobError(SpinelinkError):
    """The job file is missing, malformed or inconsistent."""

    exit_code = 2


class IntakeError(SpinelinkError):
    """A whole source is unusable (unreadable, missing columns, counts out of range)."""

    exit_code = 3


class LinkageError(SpinelinkError):
    """Linkage could not run (e.g. a model file is invalid)."""

    exit_code = 4


class AccountingError(SpinelinkError):
    """Record accounting does not add up: a record was lost or counted twice."""

    exit_code = 5


class ClericalError(SpinelinkError):
    """Clerical work after a run (reviewing pairs, coding answers) cannot proceed: the run's
    outputs are missing, or a decision or decision file is invalid."""

    exit_code = 6


class OutputError(SpinelinkError):
    """An output file is missing, changed or unreadable against what its run recorded."""

    exit_code = 7
