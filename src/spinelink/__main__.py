from spinelink.cli import main

main()
