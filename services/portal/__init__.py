"""The web console (门户): server-rendered pages over the services' APIs, in Chinese."""
