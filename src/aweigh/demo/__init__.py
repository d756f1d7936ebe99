"""The demo: a real model on the UCI Adult census data shipped inside the package."""

from aweigh.demo.datasets import load_adult

__all__ = ["load_adult"]
