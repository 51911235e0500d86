"""domain/blobs"""
