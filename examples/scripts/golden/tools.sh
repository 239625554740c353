#!/bin/sh
echo "scripts the golden image tooling is generated from"
