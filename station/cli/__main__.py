"""``python -m station.cli`` runs the ``hi-station`` command."""

from station.cli import main

main()
