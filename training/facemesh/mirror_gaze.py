"""Is the mesh's iris placement mirror-symmetric? Eye-in-head gaze (the formula of Sources/MienCore/Face/IrisGaze.swift)
on the Santa sample, its mirror image with exactly the mirrored crop, and its mirror image with its own detection.

    .venv-mesh/bin/python training/facemesh/mirror_gaze.py   # after convert.py (uses .whl/facemesh-work)

Measured: original [[9.3, 5.3], [5.6, 5.5]] (right, left eye: yaw, pitch); mirrored with the same crop
[[2.7, 4.7], [3.4, 5.0]], where a symmetric model would give [[-5.6, 5.5], [-9.3, 5.3]]: the TFLite model itself
places this face's irises differently when mirrored, so gaze carries a model error of this size.
"""
import math
import sys

import cv2
import numpy as np
import tensorflow as tf

sys.path.insert(0, 'training/facemesh')
sys.path.insert(0, 'training/blazeface')
import decode as bf  # noqa: E402
import meshcrop  # noqa: E402

it = tf.lite.Interpreter(model_path='.whl/facemesh-work/face_landmarks_detector.tflite'); it.allocate_tensors()
def mesh(bgr, kp, box):
    rgb, back = meshcrop.crop(bgr, kp, box)
    it.set_tensor(it.get_input_details()[0]['index'], (rgb.astype(np.float32)/255)[None]); it.invoke()
    L = it.get_tensor(it.get_output_details()[0]['index']).reshape(-1,3)[:,:2]
    return meshcrop.to_image(L, back)
def gaze(p):
    ux=(p[263]-p[33]); ux/=np.linalg.norm(ux); uy=np.array([-ux[1],ux[0]])
    out=[]
    for o,i,u,l,ir in [(33,133,159,145,468),(263,362,386,374,473)]:
        w=np.linalg.norm(p[o]-p[i]); mid=(p[o]+p[i]+p[u]+p[l])/4; d=p[ir]-mid; r=0.45*w
        out.append((math.degrees(math.asin(np.clip(d@ux/r,-1,1))), math.degrees(math.asin(np.clip(-(d@uy)/r,-1,1)))))
    return np.round(out,1)
bgr=cv2.imread('Samples/pexels_716658_surprised_santa.jpg'); W=bgr.shape[1]
short=bf.BlazeFace('short','Models'); full=bf.BlazeFace('full','Models')
d=(full.detect(bgr) or short.detect(bgr))[0]
p=mesh(bgr,d.keypoints,d.box); print('original', gaze(p).tolist())
fl=cv2.flip(bgr,1)
# same crop, mirrored: keypoints mirrored and eyes swapped so kp0 is the image-left eye
kp=d.keypoints.copy(); kp[:,0]=W-kp[:,0]; kp[[0,1]]=kp[[1,0]]
box=np.array([W-d.box[2],d.box[1],W-d.box[0],d.box[3]])
p2=mesh(fl,kp,box); print('mirrored, same crop', gaze(p2).tolist())
d2=(full.detect(fl) or short.detect(fl))[0]
p3=mesh(fl,d2.keypoints,d2.box); print('mirrored, own detection', gaze(p3).tolist(), 'box', np.round(d2.box,1), 'vs', np.round(box,1))
