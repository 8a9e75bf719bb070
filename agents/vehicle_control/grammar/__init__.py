"""The vehicle-control agent's sentence templates (`sentences.yaml`, hassil format); data only."""
