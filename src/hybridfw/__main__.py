from hybridfw.cli import main

main()
