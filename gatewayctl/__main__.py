"""`python -m gatewayctl` is the same as the `gatewayctl` console script."""

from gatewayctl.cli.app import main

if __name__ == "__main__":
    main()
