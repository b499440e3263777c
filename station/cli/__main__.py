"""``python -m station.cli`` runs the ``hi-station`` command."""

from station.cli import main

__all__: list[str] = []

main()
