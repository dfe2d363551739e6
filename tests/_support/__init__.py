"""Helpers shared by the test modules (data, writers, loopback peers, namespaces, runners).

Test modules import helpers from here, never from another test module.
"""
