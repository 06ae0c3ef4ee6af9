from spinelink.cli import entry

entry()
