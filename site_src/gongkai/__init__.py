"""gongkai: a government information-disclosure portal as a static site."""
__version__ = "0.1.0"
