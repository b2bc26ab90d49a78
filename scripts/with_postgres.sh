#!/usr/bin/env bash
# Placeholder: runs the command as is. Replaced by the storage work (starts PostgreSQL on loopback).
exec "$@"
