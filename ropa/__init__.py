"""ropa: a GDPR Article 30 Record of Processing Activities kept as an RDF knowledge graph (DPV 2.3)."""

from ropa.errors import RopaError
from ropa.load import RecordGraph, load

__version__ = "0.1.0"
__all__ = ["RecordGraph", "RopaError", "load", "__version__"]
