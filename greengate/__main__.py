from greengate.cli import main

main()
