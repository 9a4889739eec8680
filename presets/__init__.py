"""The built-in presets (JSON files beside this one), installed as the package data of playground.presets."""
