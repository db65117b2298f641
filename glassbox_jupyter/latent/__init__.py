"""Latent laws: one equation per latent of an encoder, and the law of reconstruction error vs latent size."""

from glassbox_jupyter.latent.finding import LatentLawsFinding
from glassbox_jupyter.latent.laws import latent_laws
from glassbox_jupyter.latent.reconstruction import mlp_autoencoder, reconstruction_law
from glassbox_jupyter.latent.reconstruction_finding import ReconstructionLawFinding

__all__ = ["LatentLawsFinding", "ReconstructionLawFinding", "latent_laws", "mlp_autoencoder", "reconstruction_law"]
