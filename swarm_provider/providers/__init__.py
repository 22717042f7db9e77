"""The dynamic providers Pulumi calls: they orchestrate check -> spec -> api -> read back -> diff.

``table.TableProvider`` writes once what every resource does alike; ``service`` keeps what
only a service has (drift guard, convergence, job removal), ``objects`` the networks,
secrets and configs as data (``ObjectKind``); ``host`` adjusts Pulumi's provider host.
"""
