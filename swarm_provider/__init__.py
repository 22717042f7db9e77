"""swarm_provider: Docker Swarm services as Pulumi resources.

Flow: ``fields`` (the table) -> ``validate`` -> ``spec`` -> ``engine`` -> ``state``
(read back) -> ``diff``; ``provider`` orchestrates, ``service`` is the resource class.
"""

from .objects import SwarmConfig, SwarmNetwork, SwarmSecret
from .service import SwarmService

__all__ = ["SwarmService", "SwarmNetwork", "SwarmSecret", "SwarmConfig"]
