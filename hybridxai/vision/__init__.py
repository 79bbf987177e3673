"""Everything about images and CNNs: loading pictures, pretrained and paper models, data sets,
the forward/backward pass that yields feature maps and gradients, and saliency maps.
"""
